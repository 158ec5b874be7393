import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createGatewayLogin, enrolNewStation, type GatewayLogin } from '../../dev/enrolment';
import { readIdentityFile, writeIdentityFile, type StationIdentity } from '../../src/main/enrolment/identity';
import { StationCore, type StationConfig } from '../../src/main/station';
import { createGateway, type Gateway } from '../../src/server/gateway/gateway';
import type { StationRole } from '../../src/shared/contract';
import type { BenchContext } from './context';

/** The centre as benchmarked stations meet it: a gateway on the bench database, stations enrolled through it. */
export interface BenchCentre {
  /** The gateway when it runs in this process. */
  gateway: Gateway | null;
  gatewayUrl: string;
  /** The gateway's database login role, to count its connections. */
  login: GatewayLogin;
  enrol(code: string, role: StationRole, room?: string): Promise<StationIdentity>;
  /** Enrols station `code` and keeps its identity in <workDir>/<code>/identity.json, as a PC keeps it; returns that file. */
  identityFile(code: string, role: StationRole, options?: { room?: string; gatewayUrl?: string }): Promise<string>;
  /** An enrolled station core (not started), its identity kept in its folder as a PC keeps it. */
  station(code: string, role: StationRole, options?: { room?: string; gatewayUrl?: string } & Partial<StationConfig>): Promise<StationCore>;
  close(): Promise<void>;
}

/** `ownProcess` runs the gateway as a child process, when the bench measures this process's event loop. */
export async function startBenchCentre(ctx: BenchContext, dbUrl: string, options: { ownProcess?: boolean } = {}): Promise<BenchCentre> {
  const login = await createGatewayLogin(dbUrl);
  let gateway: Gateway | null = null;
  let child: ChildProcess | null = null;
  let gatewayUrl: string;
  if (options.ownProcess) {
    child = fork(join(process.cwd(), 'tests', 'support', 'gateway-child.ts'), [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, GATEWAY_DATABASE_URL: login.url },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    gatewayUrl = await new Promise<string>((resolve, reject) => {
      child!.once('message', (message) => resolve((message as { url: string }).url));
      child!.once('exit', (code) => reject(new Error(`The gateway process exited with ${code} before listening.`)));
    });
  } else {
    gateway = createGateway({ databaseUrl: login.url, log: () => undefined });
    gatewayUrl = (await gateway.listen(0)).url;
  }
  const enrol = (code: string, role: StationRole, room?: string) =>
    enrolNewStation(dbUrl, { url: gatewayUrl, caPem: null }, { clinic: 'GFC-BDK', role, code, room });
  const identityFile = async (code: string, role: StationRole, options: { room?: string; gatewayUrl?: string } = {}) => {
    const file = join(ctx.workDir, code, 'identity.json');
    const identity = await enrol(code, role, options.room);
    writeIdentityFile(file, { ...identity, gatewayUrl: options.gatewayUrl ?? identity.gatewayUrl });
    return file;
  };
  return {
    gateway,
    gatewayUrl,
    login,
    enrol,
    identityFile,
    async station(code, role, options = {}) {
      const { room, gatewayUrl: via, ...config } = options;
      const identity = readIdentityFile(await identityFile(code, role, { room, gatewayUrl: via }));
      return new StationCore({ dataDir: join(ctx.workDir, code), identity, crypto: ctx.crypto, ...config });
    },
    async close() {
      await gateway?.close();
      if (child) {
        const exited = new Promise((resolve) => child!.once('exit', resolve));
        child.disconnect();
        await exited;
      }
      await login.drop().catch(() => undefined);
    },
  };
}
