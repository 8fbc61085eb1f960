export type * from './messages.js';
export { ERROR_CODES, PROTOCOL_VERSION, SERVICE_STATUSES } from './messages.js';
