import { LuaEvaluator } from './dist/lua/LuaEvaluator.js';
for (let i = 0; i < 3; i++) {
  const t0 = performance.now();
  const ev = new LuaEvaluator({ configDir: '/tmp/k1', sysEnv: { A: '1' } });
  const r = await ev.evaluate({ code: 'return 1', file: null, chunk: '=k', pad: 0, ctx: { env: {}, envFile: {}, serviceName: null, hookName: null } });
  const t1 = performance.now();
  const r2 = await ev.evaluate({ code: 'return 2', file: null, chunk: '=k', pad: 0, ctx: { env: {}, envFile: {}, serviceName: null, hookName: null } });
  const t2 = performance.now();
  await ev.close();
  console.log(r, r2, (t1 - t0).toFixed(1), (t2 - t1).toFixed(1), (performance.now() - t2).toFixed(1));
}
