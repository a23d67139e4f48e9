// Writes the README's table of checks from the catalogue (harness/checks/check-catalog.ts);
// test/checks/check-catalog.test.ts fails when the two differ.
import { readFile, writeFile } from 'node:fs/promises';
import { checkTableMarkdown } from '../harness/checks/check-catalog.js';
import { replaceChecksTable } from '../harness/checks/readme-table.js';

const readme = 'README.md';
await writeFile(readme, replaceChecksTable(await readFile(readme, 'utf8'), checkTableMarkdown()));
