import type { AdhocConfigs } from '../../config/adhoc/AdhocConfigs.js';
import type { Handler } from './HandlerTable.js';

/** `adhocAdd` (`kepler run`): adds the service to the caller's ad-hoc config; the CLI starts it next. */
export function adhocAddHandler(adhoc: AdhocConfigs): Handler<'adhocAdd'> {
  return async (req) => adhoc.add(req.caller, req.service);
}

/** `adhocRemove` (`kepler rm`): stops the caller's named ad-hoc services and removes them. */
export function adhocRemoveHandler(adhoc: AdhocConfigs): Handler<'adhocRemove'> {
  return async (req) => adhoc.remove(req.caller, req.services);
}
