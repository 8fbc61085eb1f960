import { bakedConfig, bakedService } from '../testkit/bakedConfig.js';
import { exportNomad } from './nomad/exportNomad.js';
import { exportSystemd } from './systemd/exportSystemd.js';

const notFound = () => null;
const baked = bakedConfig([
  bakedService('web', { command: ['./api'], workingDir: '/srv/app' }),
  bakedService('db', { command: ['redis-server'] }),
  bakedService('job', { command: ['/opt/tool/run'] }),
]);
const commandWarnings = (warnings: readonly { service: string; key: string; message: string }[]) =>
  warnings.filter((w) => w.key === 'command').map((w) => `${w.service}: ${w.message}`);

describe('an executable that is not found', () => {
  it('is named where it was looked for: working_dir for a relative path, PATH for a bare name', () => {
    const systemd = exportSystemd(baked, {
      services: baked.serviceOrder,
      name: 'stack',
      dir: '/etc/systemd/system',
      systemdVersion: 252,
      lookup: notFound,
    });
    expect(commandWarnings(systemd.warnings)).toEqual([
      'web: ./api was not found in /srv/app; ExecStart= needs an absolute path: not exported',
      'db: redis-server was not found in PATH here; ExecStart= needs an absolute path: not exported',
      'job: /opt/tool/run was not found here; ExecStart= needs an absolute path: not exported',
    ]);
    const nomad = exportNomad(baked, {
      services: baked.serviceOrder,
      job: 'stack',
      driver: 'raw_exec',
      lookup: notFound,
    });
    expect(commandWarnings(nomad.warnings)).toEqual([
      'web: ./api was not found in /srv/app: the task names it as written',
      'db: redis-server was not found in PATH here: the task names it as written',
      'job: /opt/tool/run was not found here: the task names it as written',
    ]);
  });
});
