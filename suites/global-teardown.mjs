// Stops the VM engine the suites shared (see shared-engine.ts), through the
// CLI, since jest loads global teardown outside the suites' module mapping.
import { execFileSync } from 'node:child_process';

export default function globalTeardown() {
  execFileSync('node', ['bin/swarmlab.js', 'engine', 'down', '--engine-name', 'e2e-suites'], { stdio: 'inherit' });
}
