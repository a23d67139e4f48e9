import { formatMatrix, matrixTable } from '../../harness/run/matrix.js';
import type { Outcome } from '../../harness/report/outcome.js';

const o = (check: string, status: Outcome['status'], subject = 'n1'): Outcome => ({
  stage: 'dataplane',
  check,
  subject,
  status,
  message: '',
});

describe('the version x check table', () => {
  it('marks a check failed for a version when any of its subjects failed there', () => {
    const table = matrixTable([
      {
        nodeImage: 'bookworm',
        outcomes: [o('lb.backends', 'pass', 'n1'), o('lb.backends', 'pass', 'n2'), o('lb.sysctls', 'skip')],
      },
      {
        nodeImage: 'sid',
        outcomes: [o('lb.backends', 'pass', 'n1'), o('lb.backends', 'fail', 'n2'), o('lb.sysctls', 'pass')],
      },
    ]);
    expect(Object.fromEntries([...table].map(([k, v]) => [k, Object.fromEntries(v)]))).toEqual({
      'lb.backends': { bookworm: 'pass', sid: 'fail' },
      'lb.sysctls': { bookworm: 'skip', sid: 'pass' },
    });
    expect(formatMatrix(['bookworm', 'sid'], table).split('\n')).toEqual([
      'check        bookworm    sid       ',
      'lb.backends  pass        fail      ',
      'lb.sysctls   skip        pass      ',
    ]);
  });
});
