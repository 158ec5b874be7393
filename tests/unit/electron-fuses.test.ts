import { describe, expect, it } from 'vitest';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config';
import { DebugLogger } from 'builder-util';

/*
 * electron-builder.yml read by electron-builder's own loader and checked against its own schema,
 * so a misspelt fuse fails here instead of being ignored at packaging time.
 */
describe('electron-builder configuration', () => {
  it('is valid for electron-builder and flips the security fuses', async () => {
    const config = await getConfig(process.cwd(), 'electron-builder.yml', null);
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableCookieEncryption: true,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
    // onlyLoadAppFromAsar leaves nothing to load unless the app is packed into an asar.
    expect(config.asar).not.toBe(false);
  });
});
