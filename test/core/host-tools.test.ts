import { jest } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../harness/core/log.js';
import {
  MissingHostToolsError,
  installHostTools,
  missingHostTools,
  parseAptLockMessage,
  type HostTool,
} from '../../harness/core/host-tools.js';

// A fake apt-get that behaves as apt does about its lock: a second instance
// started while another holds the lock fails at once with apt's own message
// (exit 100). It records each call that got the lock.
const aptShim = `#!/bin/sh
export PATH=/usr/bin:/bin
exec 9>"$SHIM_DIR/lock"
if ! flock -n 9; then
  echo "E: Could not get lock $SHIM_DIR/lock. It is held by process $(cat "$SHIM_DIR/holder" 2>/dev/null) (apt-get)" >&2
  exit 100
fi
echo $$ > "$SHIM_DIR/holder"
echo "$*" >> "$SHIM_DIR/calls"
# install makes the programs of the packages appear, as dpkg would.
if [ "$1" = install ]; then for p in "$@"; do [ -f "$SHIM_DIR/provides-$p" ] && sh "$SHIM_DIR/provides-$p"; done; fi
sleep 0.3
`;

const tools: HostTool[] = [
  { command: 'qemu-system-x86_64', debianPackage: 'qemu-system-x86' },
  { command: 'qemu-img', debianPackage: 'qemu-utils' },
  { command: 'debootstrap', debianPackage: 'debootstrap' },
  { command: 'musl-gcc', debianPackage: 'musl-tools' },
  { command: 'dockerd', debianPackage: 'docker.io' },
  { command: 'docker', debianPackage: 'docker.io' },
];

const log = createLogger('test');

/** Another apt holding the lock (and saying so in the file the shim reads the holder's pid from). */
function holdLock(dir: string, seconds: number): ChildProcess {
  return spawn('sh', ['-c', `exec 9>"${dir}/lock"; flock 9; echo $$ > "${dir}/holder"; exec sleep ${seconds}`], {
    stdio: 'ignore',
  });
}

describe('host-tool preflight', () => {
  let dir: string;
  let holder: ChildProcess | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'swarmlab-apt-'));
    process.env['SHIM_DIR'] = dir;
    await writeFile(join(dir, 'apt-get'), aptShim);
    await chmod(join(dir, 'apt-get'), 0o755);
    // Present: qemu-img and docker. Missing: the rest, from four packages.
    for (const present of ['qemu-img', 'docker']) {
      await writeFile(join(dir, present), '#!/bin/sh\n');
      await chmod(join(dir, present), 0o755);
    }
    const provides = {
      'qemu-system-x86': ['qemu-system-x86_64'],
      debootstrap: ['debootstrap'],
      'musl-tools': ['musl-gcc'],
      'docker.io': ['dockerd', 'docker'],
    };
    for (const [pkg, commands] of Object.entries(provides)) {
      await writeFile(
        join(dir, `provides-${pkg}`),
        commands.map((c) => `printf '#!/bin/sh\\n' > "$SHIM_DIR/${c}"; chmod +x "$SHIM_DIR/${c}"`).join('\n'),
      );
    }
  });
  afterEach(async () => {
    holder?.kill('SIGKILL');
    holder = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('looks every program up on the given path', async () => {
    const missing = await missingHostTools(tools, { path: dir });
    expect(missing.map((t) => t.command)).toEqual(['qemu-system-x86_64', 'debootstrap', 'musl-gcc', 'dockerd']);
  });

  it('installs every missing package in one apt call, waiting for a lock another process holds', async () => {
    // Another apt holds the lock for a while, as an unattended upgrade would.
    holder = holdLock(dir, 1.5);
    await new Promise((r) => setTimeout(r, 200));
    const lines: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      await installHostTools(tools, log, { path: dir, mayInstall: true, lockPollMs: 200, lockTimeoutMs: 10_000 });
    } finally {
      spy.mockRestore();
    }
    const calls = (await readFile(join(dir, 'calls'), 'utf8')).trim().split('\n');
    expect(calls).toEqual([
      'update -qq',
      'install -y -qq --no-install-recommends debootstrap docker.io musl-tools qemu-system-x86',
    ]);
    expect(lines.join('')).toMatch(/waiting for .*lock, held by process \d+ \(apt-get\)/);
    expect(await missingHostTools(tools, { path: dir })).toEqual([]);
  });

  it('gives up on a lock held past its deadline, saying who holds it', async () => {
    holder = holdLock(dir, 30);
    await new Promise((r) => setTimeout(r, 200));
    await expect(
      installHostTools(tools, log, { path: dir, mayInstall: true, lockPollMs: 100, lockTimeoutMs: 600 }),
    ).rejects.toThrow(
      /timed out after 1 s waiting for apt's lock to be free for apt-get update; last seen: .*lock, held by process \d+ \(apt-get\)/,
    );
  });

  it('without the right to install, names the programs and the exact command, and runs nothing', async () => {
    const attempt = installHostTools(tools, log, { path: dir, mayInstall: false });
    await expect(attempt).rejects.toBeInstanceOf(MissingHostToolsError);
    await expect(attempt).rejects.toThrow(
      'missing host programs: qemu-system-x86_64, debootstrap, musl-gcc, dockerd (swarmlab installs them ' +
        'only when run as root); install them with: apt-get update && apt-get install -y ' +
        '--no-install-recommends debootstrap docker.io musl-tools qemu-system-x86',
    );
    await expect(readFile(join(dir, 'calls'), 'utf8')).rejects.toThrow();
  });
});

describe('parseAptLockMessage', () => {
  it.each([
    [
      'E: Could not get lock /var/lib/apt/lists/lock. It is held by process 3093 (apt-get)',
      { lock: '/var/lib/apt/lists/lock', holder: 'process 3093 (apt-get)' },
    ],
    [
      'E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 812 (unattended-upgr)',
      { lock: '/var/lib/dpkg/lock-frontend', holder: 'process 812 (unattended-upgr)' },
    ],
    [
      'E: Could not get lock /var/lib/dpkg/lock - open (11: Resource temporarily unavailable)',
      { lock: '/var/lib/dpkg/lock' },
    ],
    [
      'E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another process using it?',
      { lock: 'the dpkg frontend lock' },
    ],
  ])('reads %j', (output, expected) => {
    expect(parseAptLockMessage(output)).toEqual(expected);
  });
  it('is undefined for other apt errors', () => {
    expect(parseAptLockMessage('E: Unable to locate package qemu-sytem-x86')).toBeUndefined();
  });
});
