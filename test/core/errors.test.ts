import { CommandError } from '../../harness/core/errors.js';

describe('CommandError', () => {
  it('names a multi-line script by its first line, so the output stays readable', () => {
    const script = '# swarmlab node-dump.sh\nhas_curl() { command -v curl; }\nif has_curl; then api; fi\n';
    const error = new CommandError('node lab-w2', ['sh', '-c', script], 1, 'line 1\nline 2');
    expect(error.message).toBe(
      "node lab-w2: `sh -c '# swarmlab node-dump.sh ...' (a 3-line script)` exited 1: line 1\nline 2",
    );
    expect(error.command[2]).toBe(script);
  });

  it('keeps one-line commands as they are and the last 8 lines of the output', () => {
    const output = Array.from({ length: 12 }, (_, i) => `out ${i}`).join('\n');
    const error = new CommandError('host', ['docker', 'swarm', 'join', '--token', 'x'], 2, output);
    expect(error.message).toBe(
      `host: \`docker swarm join --token x\` exited 2: ${output.split('\n').slice(4).join('\n')}`,
    );
  });
});
