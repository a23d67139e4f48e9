import { execa } from 'execa';
import { shellQuote } from '../../harness/core/run-command.js';

describe('shellQuote', () => {
  it.each(['plain', "it's", 'SWARMLAB_TASK={{.Task.Name}}', 'a b  c', '$HOME `id` "x" \\n;|&*', ''])(
    'sh -c reads %j back as the same one word',
    async (word) => {
      const { stdout } = await execa('sh', ['-c', `printf '%s|' ${shellQuote(word)}`]);
      expect(stdout).toBe(`${word}|`);
    },
  );
});
