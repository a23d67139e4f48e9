import { CommandError } from '../../harness/core/errors.js';
import { nodeDumpScript } from '../../harness/inspect/node-dump.js';

describe('CommandError', () => {
  it('names a multi-line script by its first line, so the output stays readable', () => {
    const error = new CommandError('node lab-w2', ['sh', '-c', nodeDumpScript], 1, 'line 1\nline 2');
    expect(error.message).toMatch(/^node lab-w2: `sh -c '# Every process costs .*' \(a \d+-line script\)` exited 1: line 1\nline 2$/);
    expect(error.command[2]).toBe(nodeDumpScript);
  });

  it('keeps one-line commands as they are and the last 8 lines of the output', () => {
    const output = Array.from({ length: 12 }, (_, i) => `out ${i}`).join('\n');
    const error = new CommandError('host', ['docker', 'swarm', 'join', '--token', 'x'], 2, output);
    expect(error.message).toBe(`host: \`docker swarm join --token x\` exited 2: ${output.split('\n').slice(4).join('\n')}`);
  });
});
