/**
 * A queue board (LED sign, pole display) speaks its vendor's protocol. A driver only turns a call
 * into bytes; transports, reconnects and the call queue are shared. There is no standard
 * protocol, so each vendor is one small file registered in ./index.ts.
 */
export interface BoardCall {
  ticketNumber: string;
  roomName: string;
}

export interface BoardDriver {
  readonly id: string;
  readonly label: string;
  encodeCall(call: BoardCall): Uint8Array;
}

/** Boards show ASCII only; anything else would print as garbage, so it is dropped. */
export function asciiOnly(text: string): string {
  return text.normalize('NFKD').replace(/[^\x20-\x7e]/g, '');
}

export function bytesOf(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}
