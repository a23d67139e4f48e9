import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const prelude = readFileSync(new URL('./scripts/node-api.sh', import.meta.url), 'utf8');

/**
 * A shell script that runs in nodes, kept in a .sh file beside the code that
 * uses it so that shellcheck reads it (npm run lint). The shared helpers
 * (node-api.sh) are put in front; values reach the script as arguments
 * (`sh -c SCRIPT sh ARG...`), never pasted into its text.
 */
export function nodeScript(file: URL): string {
  // The first line names the script: a failed command is reported by its first line (CommandError).
  return `# swarmlab ${basename(file.pathname)}\n${prelude}\n${readFileSync(file, 'utf8')}`;
}
