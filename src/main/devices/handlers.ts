import { ApiError } from '../../shared/contract';
import type { Handlers } from '../handlers';
import { boardDrivers } from './boards/index';
import type { DeviceService } from './service';
import { listSerialPorts } from './transport';

type DeviceMethod =
    | 'printers.list'
    | 'printers.add'
    | 'printers.remove'
    | 'printers.setDefault'
    | 'printers.preview'
    | 'printers.print'
    | 'printers.jobs'
    | 'printers.jobPreview'
    | 'printers.reprint'
    | 'printers.cancel'
    | 'devices.serialPorts'
    | 'devices.boards'
    | 'devices.boardDrivers'
    | 'devices.addBoard'
    | 'devices.removeBoard'
    | 'devices.testBoard'
    | 'announcements.settings'
    | 'announcements.setSettings'
    | 'announcements.clip';

/** The contract's device methods, for StationCore's handler table. */
export function deviceHandlers(devices: DeviceService): Handlers<DeviceMethod> {
  const authorized = () => {
    devices.deps.authorize();
    return devices;
  };
  return {
    'printers.list': () => authorized().listPrinters(),
    'printers.add': (input) => authorized().addPrinter(input),
    'printers.remove': async (input) => {
      await authorized().removePrinter(input.printerId);
      return { ok: true as const };
    },
    'printers.setDefault': (input) => authorized().setDefault(input.printerId),
    'printers.preview': (input) => authorized().preview(input.document, input.ticketId, input.printerId),
    'printers.print': (input) => authorized().print(input.document, input.ticketId, input.printerId),
    'printers.jobs': (input) => authorized().jobs(input.limit),
    'printers.jobPreview': (input) => authorized().jobPreview(input.jobId),
    'printers.reprint': (input) => authorized().reprint(input.jobId),
    'printers.cancel': (input) => authorized().cancel(input.jobId),
    'devices.serialPorts': async () => {
      authorized();
      try {
        return await listSerialPorts(devices.deps.options?.serialBinding);
      } catch (error) {
        throw new ApiError('internal', `The serial ports could not be listed: ${(error as Error).message}`);
      }
    },
    'devices.boards': () => authorized().boards.listBoards(),
    'devices.boardDrivers': () => Object.values(boardDrivers).map((d) => ({ id: d.id, label: d.label })),
    'devices.addBoard': (input) => authorized().boards.addBoard(input),
    'devices.removeBoard': async (input) => {
      await authorized().boards.removeBoard(input.boardId);
      return { ok: true as const };
    },
    'devices.testBoard': (input) => authorized().boards.testBoard(input.boardId),
    // The display reads these without anyone signed in: it has no sign-in.
    'announcements.settings': () => {
      const { overrides, problems } = devices.voice.voiceOverrides();
      const settings = devices.voice.announcementSettings();
      return {
        languages: settings.languages,
        speechFallback: settings.speechFallback,
        canEditLanguages: devices.voice.canEditLanguages(),
        overrides: [...overrides.keys()].sort(),
        problems: [...settings.problems, ...problems],
      };
    },
    'announcements.setSettings': (input) => authorized().voice.setAnnouncementSettings(input),
    'announcements.clip': (input) => ({ url: devices.voice.clipUrl(input.language, input.clip) }),
  };
}
