import type { Handlers } from '../handlers';
import type { DisplayService } from './service';

export function displayHandlers(display: DisplayService): Handlers<'display.board'> {
  return { 'display.board': () => display.board() };
}
