import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where swarmlab keeps the state of things that outlive one process (running
 * VM engines), so that `status` and `down` work from another shell.
 */
export function stateRoot(): string {
  return (
    process.env['SWARMLAB_STATE'] ??
    join(process.env['XDG_STATE_HOME'] ?? join(homedir(), '.local', 'state'), 'swarmlab')
  );
}

export class StateStore<T> {
  constructor(private readonly kind: string) {}

  dir(name: string): string {
    return join(stateRoot(), this.kind, name);
  }

  async read(name: string): Promise<T | undefined> {
    try {
      return JSON.parse(await readFile(join(this.dir(name), 'state.json'), 'utf8')) as T;
    } catch {
      return undefined;
    }
  }

  async write(name: string, state: T): Promise<void> {
    await mkdir(this.dir(name), { recursive: true });
    await writeFile(join(this.dir(name), 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
  }

  async remove(name: string): Promise<void> {
    await rm(this.dir(name), { recursive: true, force: true });
  }

  async names(): Promise<string[]> {
    try {
      return (await readdir(join(stateRoot(), this.kind))).sort();
    } catch {
      return [];
    }
  }
}
