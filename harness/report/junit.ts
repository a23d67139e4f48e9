import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import junitModule, { type Builder } from 'junit-report-builder';
import type { Outcome } from './outcome.js';

/**
 * junit-report-builder is CommonJS with an `exports.default`: depending on the
 * loader (node's ESM, tsx, jest with swc) the default import is the builder
 * itself or the module object holding it under `default`.
 */
function rootBuilder(): Builder {
  const candidate = junitModule as unknown as Builder & { default?: Builder };
  return typeof candidate.newBuilder === 'function' ? candidate : (candidate.default as Builder);
}

/** A testsuite per stage, a testcase per check and subject, the finding as the failure message. */
export async function writeJunit(outcomes: readonly Outcome[], file: string, suitePrefix = 'swarmlab'): Promise<void> {
  const builder = rootBuilder().newBuilder();
  const stages = [...new Set(outcomes.map((o) => o.stage))];
  for (const stage of stages) {
    const suite = builder.testSuite().name(`${suitePrefix}.${stage}`);
    for (const o of outcomes.filter((x) => x.stage === stage)) {
      const testCase = suite.testCase().className(o.check).name(o.subject);
      if (o.status === 'fail') testCase.failure(o.message, o.check);
      else if (o.status === 'skip') testCase.skipped();
      else testCase.standardOutput(o.message);
    }
  }
  await mkdir(dirname(file), { recursive: true });
  builder.writeTo(file);
}
