import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { randomUUID } from 'node:crypto';

/*
 * Notification providers: the worker renders a due notification and hands it to the adapter of its channel. The
 * defaults deliver nowhere real: `file` appends one JSON line per message to an outbox file, `console` prints it.
 * An SMS gateway, WhatsApp Business or SMTP adapter implements the same interface (a plug-in, configured per
 * deployment); each receives the notification id as its idempotency key, because a worker killed between sending
 * and committing sends again.
 */

export interface OutgoingMessage {
  idempotencyKey: string;
  channel: 'sms' | 'whatsapp' | 'email' | 'push' | 'in_app';
  to: string;
  subject?: string;
  body: string;
}

export interface NotificationProvider {
  readonly name: string;
  send(message: OutgoingMessage): Promise<{ providerMessageId: string }>;
}

export class FileProvider implements NotificationProvider {
  readonly name = 'file';
  constructor(private readonly path: string) {}

  async send(message: OutgoingMessage): Promise<{ providerMessageId: string }> {
    const providerMessageId = `file-${randomUUID()}`;
    await mkdir(dirname(this.path), { recursive: true });
    await appendFile(this.path, `${JSON.stringify({ ...message, providerMessageId, at: new Date().toISOString() })}\n`);
    return { providerMessageId };
  }
}

export class ConsoleProvider implements NotificationProvider {
  readonly name = 'console';
  constructor(private readonly log: (line: string) => void = (line) => console.log(line)) {}

  async send(message: OutgoingMessage): Promise<{ providerMessageId: string }> {
    this.log(`[${message.channel} → ${message.to}] ${message.subject ? `${message.subject}: ` : ''}${message.body}`);
    return { providerMessageId: `console-${randomUUID()}` };
  }
}

const TEMPLATES: Record<string, (p: Record<string, unknown>, name: string) => { subject: string; body: string }> = {
  'appointment.reminder': (p, name) => ({
    subject: 'Appointment reminder',
    body: `Dear ${name}, this is a reminder of your clinic appointment ${String(p.when ?? 'soon')}. Reply or call us to change it.`,
  }),
  'queue.called': (p, name) => ({
    subject: 'Your number is called',
    body: `${name}, number ${String(p.ticket ?? '')} is being called to ${String(p.room ?? 'the consult room')}.`,
  }),
};

export function renderNotification(template: string, params: Record<string, unknown>, name: string): { subject: string; body: string } {
  const render = TEMPLATES[template];
  if (render) return render(params, name);
  return { subject: template, body: `${template}: ${JSON.stringify(params)}` };
}

/** Singapore numbers are stored as typed at the desk ("9123 4567"); messages need E.164. */
export function toE164(phone: string | null): string | null {
  if (!phone) return null;
  const digits = phone.replace(/[\s-]/g, '');
  if (/^\+[0-9]{8,15}$/.test(digits)) return digits;
  if (/^[3689][0-9]{7}$/.test(digits)) return `+65${digits}`;
  if (/^65[3689][0-9]{7}$/.test(digits)) return `+${digits}`;
  return null;
}
