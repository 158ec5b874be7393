import { asciiOnly, bytesOf, type BoardDriver } from './driver';

/*
 * An ESC/POS customer display (pole display, 2 lines of 20 characters, e.g. Epson DM-D): ESC @
 * resets it, FF clears it, US $ col row moves the cursor. Each line is padded so old text never
 * shows through.
 */
const WIDTH = 20;

function line(text: string): string {
  const clean = asciiOnly(text).trim().slice(0, WIDTH);
  const left = Math.floor((WIDTH - clean.length) / 2);
  return ' '.repeat(left) + clean + ' '.repeat(WIDTH - clean.length - left);
}

const cursorTo = (column: number, row: number) => `\x1f$${String.fromCharCode(column)}${String.fromCharCode(row)}`;

export const escposVfd: BoardDriver = {
  id: 'escpos-vfd',
  label: 'ESC/POS pole display (2 x 20)',
  encodeCall(call) {
    return bytesOf(`\x1b@\x0c${cursorTo(1, 1)}${line(`Number ${call.ticketNumber}`)}${cursorTo(1, 2)}${line(call.roomName)}`);
  },
};
