import type { Command } from 'commander';
import type { Logger } from '../core/log.js';
import type { Diagnosis } from './diagnose.js';

const gib = (bytes: number): string => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;

export function formatDiagnosis(d: Diagnosis): string {
  const lines: string[] = [];
  lines.push('host programs');
  for (const t of d.hostTools)
    lines.push(`  ${t.command.padEnd(20)} ${t.path ?? `missing (Debian package ${t.debianPackage})`}`);
  if (d.install)
    lines.push(
      d.install.automatic
        ? `  swarmlab installs the missing ones itself (root, apt): ${d.install.command}`
        : `  install them with: ${d.install.command}`,
    );
  lines.push(`acceleration   ${d.acceleration.accel}: ${d.acceleration.why}`);
  const local = d.localEngine;
  const proven = local.answers ? ' (its IPVS is proven when a run chooses it)' : '';
  lines.push(`local engine   ${local.answers ? 'answers' : 'none'}: ${local.detail}${proven}`);
  for (const disk of d.disk) lines.push(`free disk      ${gib(disk.freeBytes)} under ${disk.dir}`);
  lines.push(`cache          ${d.cache.length} entries, ${gib(d.cache.reduce((n, c) => n + c.bytes, 0))}`);
  for (const c of d.cache)
    lines.push(
      `  ${c.entry.padEnd(40)} ${gib(c.bytes)}${c.partial ? '  (unfinished build of a process that is gone: safe to delete)' : ''}`,
    );
  lines.push(
    `snapshots      ${d.snapshots.length === 0 ? 'none' : `${d.snapshots.length}, ${gib(d.snapshots.reduce((n, s) => n + s.bytes, 0))}`}`,
  );
  for (const s of d.snapshots) {
    const expired = Date.parse(s.validUntil) <= Date.now() ? ' EXPIRED (rebuilt at the next run)' : '';
    lines.push(`  ${s.label}: ${gib(s.bytes)}, saved ${s.savedAt}, valid until ${s.validUntil}${expired}`);
  }
  lines.push(`VM engines     ${d.engines.length === 0 ? 'none running' : `${d.engines.length} running`}`);
  for (const e of d.engines) {
    lines.push(
      `  ${e.name} at ${e.dockerHost} (QEMU pid ${e.pid}, ${e.accel}): clusters ${e.clusters.join(', ') || 'none'}`,
    );
    if (e.leftovers.length > 0) lines.push(`    leftovers (swarmlab down --all): ${e.leftovers.join(', ')}`);
  }
  if (d.lastEngineDeath) {
    const x = d.lastEngineDeath;
    lines.push(`last engine death  ${x.engine} at ${x.at}: ${x.how}`);
    if (x.consoleTail !== undefined)
      lines.push(
        ...x.consoleTail
          .split('\n')
          .slice(-5)
          .map((l) => `    | ${l}`),
      );
  }
  lines.push(d.canRun ? 'OK: a run can start' : `NOT READY:\n${d.blockers.map((b) => `  - ${b}`).join('\n')}`);
  return lines.join('\n');
}

export function registerDoctorCommand(program: Command, log: Logger): void {
  program
    .command('doctor')
    .description(
      'what is wrong, if anything: host programs, KVM, engines, disk, cache, leftovers; exit 0 when a run can start',
    )
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const { diagnose } = await import('./diagnose.js');
      const diagnosis = await diagnose(log);
      process.stdout.write(opts.json ? `${JSON.stringify(diagnosis, null, 2)}\n` : `${formatDiagnosis(diagnosis)}\n`);
      if (!diagnosis.canRun) process.exitCode = 1;
    });
}
