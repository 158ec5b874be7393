import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readStationsFile, stationsFilePath } from '../../src/main/electron/stations-file';

function write(list: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'stations-file-')), 'stations.json');
  writeFileSync(path, JSON.stringify(list));
  return path;
}

const reception = { code: 'S-RECEPTION', role: 'reception', keyFile: '/keys/k.json' };

describe('the station list', () => {
  it('resolves relative paths against its own folder and defaults the data folder to <userData>/stations/<code>, the identity to its folder', () => {
    const path = write({
      stations: [
        { ...reception, keyFile: 'keys/k.json', dataDir: 'pcs/reception' },
        { ...reception, code: 'S-DISPLAY', role: 'display', displayMonitor: 2, identityFile: 'ids/display.json' },
      ],
    });
    const folder = join(path, '..');
    expect(readStationsFile(path, '/user-data')).toEqual([
      {
        code: 'S-RECEPTION',
        role: 'reception',
        core: {
          stationCode: 'S-RECEPTION',
          role: 'reception',
          keyFile: join(folder, 'keys', 'k.json'),
          dataDir: join(folder, 'pcs', 'reception'),
          identityFile: join(folder, 'pcs', 'reception', 'identity.json'),
        },
      },
      {
        code: 'S-DISPLAY',
        role: 'display',
        core: {
          stationCode: 'S-DISPLAY',
          role: 'display',
          keyFile: '/keys/k.json',
          dataDir: join('/user-data', 'stations', 'S-DISPLAY'),
          identityFile: join(folder, 'ids', 'display.json'),
        },
        displayMonitor: 2,
      },
    ]);
  });

  it('holds no database address or credential: such fields are refused', () => {
    for (const field of ['centralUrl', 'databaseUrl', 'centralRole']) {
      expect(() => readStationsFile(write({ stations: [{ ...reception, [field]: 'postgres://u:p@db/c' }] }), '/u')).toThrow(`stations.0: Unexpected field: ${field}.`);
    }
  });

  it('refuses a station code that is not a plain name, since it names a folder', () => {
    for (const code of ['../escape', 'a/b', 'a\\b', '', '.hidden']) {
      expect(() => readStationsFile(write({ stations: [{ ...reception, code }] }), '/user-data'), code).toThrow(/stations\.0\.code: Code must be letters, digits/);
    }
  });

  it('refuses unknown fields and a monitor for a station that is not a display', () => {
    expect(() => readStationsFile(write({ stations: [{ ...reception, password: 'x' }] }), '/u')).toThrow(/Unexpected field: password\./);
    expect(() => readStationsFile(write({ stations: [{ ...reception, displayMonitor: 2 }] }), '/u')).toThrow(/stations\.0\.displayMonitor: Only a display station/);
    expect(() => readStationsFile(write({ stations: [] }), '/u')).toThrow(/stations: List at least one station/);
  });

  it('comes from --stations when given, else from <userData>/stations.json', () => {
    expect(stationsFilePath(undefined, '/user-data')).toBe(join('/user-data', 'stations.json'));
    expect(stationsFilePath('/etc/clinic/stations.json', '/user-data')).toBe('/etc/clinic/stations.json');
  });
});
