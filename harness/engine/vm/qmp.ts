import { createConnection, type Socket } from 'node:net';
import { SwarmlabError, errorMessage } from '../../core/errors.js';
import { withDeadline } from '../../core/wait.js';

/**
 * A QEMU Machine Protocol session over the VM's unix socket: one JSON command per line, answered in order
 * (events, which QEMU interleaves, are skipped). Used only for snapshots: pause, switch the disk to a new
 * overlay, save or load the machine state, resume.
 */
export class QmpSession {
  private buffer = '';
  private readonly waiting: { resolve: (line: Record<string, unknown>) => void; reject: (e: Error) => void }[] = [];

  private constructor(
    private readonly socket: Socket,
    private readonly where: string,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      for (let end = this.buffer.indexOf('\n'); end >= 0; end = this.buffer.indexOf('\n')) {
        const line = this.buffer.slice(0, end).trim();
        this.buffer = this.buffer.slice(end + 1);
        if (!line) continue;
        const message = JSON.parse(line) as Record<string, unknown>;
        if ('event' in message) continue;
        this.waiting.shift()?.resolve(message);
      }
    });
    socket.on('close', () => {
      for (const w of this.waiting.splice(0)) w.reject(new SwarmlabError('qmp', `${where}: connection closed`));
    });
  }

  /** Connects and leaves the greeting's capability negotiation done. */
  static async open(socketPath: string, vm: string): Promise<QmpSession> {
    const where = `QMP of VM "${vm}" (${socketPath})`;
    const socket = await withDeadline(
      `a connection to ${where}`,
      10_000,
      new Promise<Socket>((resolve, reject) => {
        const s = createConnection(socketPath, () => resolve(s));
        s.once('error', (error) => reject(new SwarmlabError('qmp', `${where}: ${errorMessage(error)}`)));
      }),
    );
    const session = new QmpSession(socket, where);
    await session.next(); // the greeting
    await session.execute('qmp_capabilities');
    return session;
  }

  /** Runs a command and returns its `return` value; QEMU's error becomes a SwarmlabError naming the command. */
  async execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    const answer = this.next();
    this.socket.write(`${JSON.stringify(args ? { execute: command, arguments: args } : { execute: command })}\n`);
    const message = await answer;
    const error = message['error'] as { desc?: string } | undefined;
    if (error)
      throw new SwarmlabError('qmp', `${this.where}: ${command} failed: ${error.desc ?? JSON.stringify(error)}`);
    return message['return'];
  }

  close(): void {
    this.socket.destroy();
  }

  private next(): Promise<Record<string, unknown>> {
    return withDeadline(
      `an answer from ${this.where}`,
      30_000,
      new Promise((resolve, reject) => {
        this.waiting.push({ resolve, reject });
      }),
    );
  }
}

/** One QMP session for the duration of `use`, closed afterwards. */
export async function withQmp<T>(socketPath: string, vm: string, use: (qmp: QmpSession) => Promise<T>): Promise<T> {
  const qmp = await QmpSession.open(socketPath, vm);
  try {
    return await use(qmp);
  } finally {
    qmp.close();
  }
}
