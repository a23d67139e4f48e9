import { execa } from 'execa';
import { SwarmlabError } from './errors.js';
import type { Logger } from './log.js';

/** A program swarmlab runs on the host, and the Debian package that ships it. */
export interface HostTool {
  command: string;
  debianPackage: string;
}

async function onPath(command: string): Promise<boolean> {
  const result = await execa('sh', ['-c', `command -v ${command}`], { reject: false });
  return result.exitCode === 0;
}

/**
 * Makes sure the host programs exist. As root on a Debian-like host it installs
 * the missing packages with apt (and says so); otherwise it fails with the
 * exact command to run, so nothing is installed behind the user's back.
 */
export async function ensureHostTools(tools: readonly HostTool[], log: Logger): Promise<void> {
  const missing: HostTool[] = [];
  for (const tool of tools) if (!(await onPath(tool.command))) missing.push(tool);
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((t) => t.debianPackage))];
  const command = `apt-get update && apt-get install -y --no-install-recommends ${packages.join(' ')}`;
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !(await onPath('apt-get'))) {
    throw new SwarmlabError(
      'host-tools',
      `missing host programs: ${missing.map((t) => t.command).join(', ')}; install them with: ${command}`,
      { missing: missing.map((t) => t.command) },
    );
  }
  log.info(`installing missing host packages with apt: ${packages.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await execa('apt-get', ['update', '-qq'], { env });
  await execa('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { env });
}
