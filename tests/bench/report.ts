/** One JSON line per metric, each beside a baseline measured in the same run (DESIGN §7). */
export interface Metric {
  metric: string;
  value: number;
  unit: string;
  baseline: number;
  ratio: number;
  [extra: string]: unknown;
}

const round = (n: number) => Math.round(n * 1000) / 1000;

export function emit(metric: Metric): void {
  console.log(JSON.stringify({ ...metric, value: round(metric.value), baseline: round(metric.baseline), ratio: round(metric.ratio) }));
}

export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
