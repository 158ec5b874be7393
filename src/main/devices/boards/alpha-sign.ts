import { asciiOnly, bytesOf, type BoardDriver } from './driver';

/*
 * Alpha Sign Communications Protocol (Adaptive Micro Systems, pub. 97088061): a "write TEXT file"
 * packet to every sign on the line. NULs let the sign find the baud rate; type 'Z' and address
 * "00" mean all signs; ESC ' ' 'b' puts the text on the middle line, held still.
 */
const SYNC = '\x00\x00\x00\x00\x00';
const SOH = '\x01';
const STX = '\x02';
const EOT = '\x04';
const ALL_SIGNS = 'Z00';
const WRITE_TEXT_FILE_A = 'AA';
const MIDDLE_LINE_HOLD = '\x1b b';
const RED = '\x1c1';
const GREEN = '\x1c2';

export const alphaSign: BoardDriver = {
  id: 'alpha-sign',
  label: 'Alpha Sign (LED message board)',
  encodeCall(call) {
    const text = `${GREEN}${asciiOnly(call.ticketNumber)} ${RED}${asciiOnly(call.roomName)}`;
    return bytesOf(`${SYNC}${SOH}${ALL_SIGNS}${STX}${WRITE_TEXT_FILE_A}${MIDDLE_LINE_HOLD}${text}${EOT}`);
  },
};
