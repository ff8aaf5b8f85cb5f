/**
 * The per-user configuration folder of mcp-cimd, where the file token store lives.
 *
 * @module
 */
import { homedir } from 'node:os';
import { isAbsolute, join, win32 } from 'node:path';

/** The folder name under the platform's configuration folder. */
export const CONFIG_DIR_NAME = 'mcp-cimd';

/** What {@link defaultConfigDir} looks at; the defaults are the running process's. */
export interface ConfigDirEnvironment {
  platform?: NodeJS.Platform;
  env?: Record<string, string | undefined>;
  home?: string;
}

/**
 * The configuration folder: `%APPDATA%\mcp-cimd` on Windows,
 * `~/Library/Application Support/mcp-cimd` on macOS, and `$XDG_CONFIG_HOME/mcp-cimd` (default
 * `~/.config/mcp-cimd`) elsewhere. An `XDG_CONFIG_HOME` that is not absolute is ignored, as the
 * XDG specification says.
 */
export function defaultConfigDir(environment: ConfigDirEnvironment = {}): string {
  const platform = environment.platform ?? process.platform;
  const env = environment.env ?? process.env;
  const home = environment.home ?? homedir();
  if (platform === 'win32') {
    const appData = env.APPDATA;
    return win32.join(
      appData !== undefined && appData !== '' ? appData : win32.join(home, 'AppData', 'Roaming'),
      CONFIG_DIR_NAME,
    );
  }
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', CONFIG_DIR_NAME);
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg !== undefined && isAbsolute(xdg) ? xdg : join(home, '.config');
  return join(base, CONFIG_DIR_NAME);
}
