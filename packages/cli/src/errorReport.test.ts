import type { ConfigIssue } from '@kepler/config';
import { ProtocolError, RemoteError } from '@kepler/protocol';
import {
  DAEMON_NOT_RUNNING_MESSAGE,
  issuesOf,
  PERMISSION_DENIED_MESSAGE,
  reportError,
} from './errorReport.js';
import { CliError, UsageError } from './errors.js';

const fmt = (i: ConfigIssue) => `${i.file}:${i.line ?? '?'}:${i.column ?? '?'} ${i.path}: ${i.message}`;
const issue: ConfigIssue = {
  file: 'kepler.yaml',
  line: 12,
  column: 17,
  path: 'services.web.x',
  message: 'bad',
};

describe('reportError', () => {
  it('prints exactly the daemon-not-running line and exits 2', () => {
    const error = new ProtocolError('DAEMON_NOT_RUNNING', 'the daemon is not running (no one listens on /x)');
    expect(reportError(error, fmt, false)).toEqual({
      text: 'Daemon is not running. Start it with: sudo kepler daemon start -d\n',
      exitCode: 2,
    });
    expect(DAEMON_NOT_RUNNING_MESSAGE).toBe(
      'Daemon is not running. Start it with: sudo kepler daemon start -d',
    );
  });

  it('writes KEPLER_DAEMON_PATH (and KEPLER_DAEMON_BIN) into the hint when set: sudo drops them', () => {
    const error = new ProtocolError('DAEMON_NOT_RUNNING', 'the daemon is not running (no one listens on /x)');
    expect(reportError(error, fmt, false, { KEPLER_DAEMON_PATH: '/srv/kepler' }).text).toBe(
      'Daemon is not running. Start it with: sudo KEPLER_DAEMON_PATH=/srv/kepler kepler daemon start -d\n',
    );
    expect(
      reportError(error, fmt, false, { KEPLER_DAEMON_PATH: "/tmp/my state's", KEPLER_DAEMON_BIN: '/opt/kd' })
        .text,
    ).toBe(
      "Daemon is not running. Start it with: sudo KEPLER_DAEMON_PATH='/tmp/my state'\\''s' KEPLER_DAEMON_BIN=/opt/kd kepler daemon start -d\n",
    );
    expect(reportError(error, fmt, false, { KEPLER_DAEMON_PATH: '' }).text).toBe(
      `${DAEMON_NOT_RUNNING_MESSAGE}\n`,
    );
  });

  it('explains the kepler group on a permission error and exits 2', () => {
    const report = reportError(new ProtocolError('PERMISSION_DENIED', 'permission denied on /x'), fmt, false);
    expect(report.exitCode).toBe(2);
    expect(report.text).toBe(`${PERMISSION_DENIED_MESSAGE}\n`);
    expect(report.text).toContain('sudo usermod -aG kepler $USER');
    expect(report.text).toContain('log out');
  });

  it('gives the one protocol-mismatch line, exit 2', () => {
    const error = new ProtocolError(
      'PROTOCOL_MISMATCH',
      'the daemon runs protocol 2, this CLI speaks 1: restart the daemon',
    );
    expect(reportError(error, fmt, false)).toEqual({
      text: 'The daemon runs protocol 2, this CLI speaks 1: restart the daemon\n',
      exitCode: 2,
    });
  });

  it('treats a lost connection as an unreachable daemon (2), but a daemon answer as a failure (1)', () => {
    expect(
      reportError(new ProtocolError('CONNECTION_CLOSED', 'the daemon closed the connection'), fmt, false),
    ).toEqual({
      text: 'Lost the connection to the daemon: the daemon closed the connection\n',
      exitCode: 2,
    });
    const remote = new RemoteError({ code: 'TIMEOUT', message: 'db did not become healthy within 30s' });
    expect(reportError(remote, fmt, false)).toEqual({
      text: 'db did not become healthy within 30s\n',
      exitCode: 1,
    });
  });

  it('prints every issue of a daemon CONFIG_INVALID (data.issues), exit 1', () => {
    const remote = new RemoteError({
      code: 'CONFIG_INVALID',
      message: 'invalid config: 2 problems',
      data: { issues: [issue, { ...issue, line: 3, message: 'worse' }] },
    });
    expect(reportError(remote, fmt, false)).toEqual({
      text: 'kepler.yaml:12:17 services.web.x: bad\nkepler.yaml:3:17 services.web.x: worse\n',
      exitCode: 1,
    });
  });

  it('prints every issue of a local ConfigError (issues), exit 1', () => {
    const error = Object.assign(new Error('invalid config'), { code: 'CONFIG_INVALID', issues: [issue] });
    expect(reportError(error, fmt, false)).toEqual({
      text: 'kepler.yaml:12:17 services.web.x: bad\n',
      exitCode: 1,
    });
  });

  it("prints a daemon refusal's message on one line, exit 1", () => {
    const remote = new RemoteError({
      code: 'SERVICES_RUNNING',
      message: 'stop the services first\n(details)',
    });
    expect(reportError(remote, fmt, false)).toEqual({ text: 'stop the services first\n', exitCode: 1 });
  });

  it("uses a CliError's own message and exit code, without a stack", () => {
    expect(reportError(new UsageError('--wait requires -d'), fmt, false)).toEqual({
      text: '--wait requires -d\n',
      exitCode: 1,
    });
    expect(
      reportError(new CliError('DAEMON_NOT_RUNNING', 'Daemon is not running', 2), fmt, false).exitCode,
    ).toBe(2);
  });

  it('adds stacks with --verbose', () => {
    const report = reportError(new UsageError('nope'), fmt, true);
    expect(report.text.startsWith('nope\nUsageError: nope\n    at ')).toBe(true);
  });

  it('reports a bug (an error without a code) as an internal error with its stack', () => {
    const report = reportError(new TypeError('x is undefined'), fmt, false);
    expect(report.exitCode).toBe(1);
    expect(report.text).toMatch(
      /^Internal error \(a bug in Kepler, please report it\): TypeError: x is undefined\n {4}at /,
    );
  });
});

describe('issuesOf', () => {
  it('keeps only well-formed issues', () => {
    expect(issuesOf({ data: { issues: [issue, { nope: 1 }, null] } })).toEqual([issue]);
    expect(issuesOf(null)).toEqual([]);
  });
});
