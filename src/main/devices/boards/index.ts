import { alphaSign } from './alpha-sign';
import type { BoardDriver } from './driver';
import { escposVfd } from './escpos-vfd';

/** Every board protocol the station speaks; a new vendor is one file and one line here. */
export const boardDrivers: Record<string, BoardDriver> = Object.fromEntries([alphaSign, escposVfd].map((driver) => [driver.id, driver]));

export function boardDriver(id: string): BoardDriver {
  const driver = boardDrivers[id];
  if (!driver) throw new Error(`No queue-board driver "${id}". Known: ${Object.keys(boardDrivers).join(', ')}.`);
  return driver;
}
