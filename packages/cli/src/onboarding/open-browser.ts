import { spawn } from 'node:child_process';
import type { Environment } from '../config/secret-reference.ts';

/**
 * Opens a URL in the person's browser: the command in `$BROWSER` when set (the convention `xdg-open` and
 * many tools follow; also how tests stand in for a person), else the platform's opener. It resolves once
 * the opener started and never waits for the browser; the URL is printed too, for headless machines.
 */
export function browserOpener(env: Environment = process.env): (url: string) => Promise<void> {
  return (url) =>
    new Promise<void>((resolve, reject) => {
      const [command, args] = openerFor(env);
      const child = spawn(command, [...args, url], {
        stdio: 'ignore',
        detached: process.platform !== 'win32',
      });
      child.once('error', (error) => reject(new Error(`cannot run ${command} (${error.message})`)));
      child.once('spawn', () => {
        child.unref();
        resolve();
      });
    });
}

function openerFor(env: Environment): [string, string[]] {
  const browser = env.BROWSER;
  if (browser) return [browser, []];
  if (process.platform === 'darwin') return ['open', []];
  if (process.platform === 'win32') return ['cmd', ['/c', 'start', '""']];
  return ['xdg-open', []];
}
