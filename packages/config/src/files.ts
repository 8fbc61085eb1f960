/**
 * `@kepler/config/files`: finding and reading the files a user names, without the YAML parser and Lua
 * that the package's main entry loads. The CLI's daemon commands and the daemon's state directory use
 * it on every request.
 */

// `kepler run --env-file`: the CLI reads the file as its user, with the env_file syntax.
export { type EnvFileEntry, EnvFileSyntaxError, parseEnvFile } from './envFileSyntax.js';
export { MAX_CONFIG_FILE_BYTES, MAX_ENV_FILE_BYTES, readUserFile, UserFileError } from './readUserFile.js';
export { DEFAULT_CONFIG_NAMES, resolveConfigPath } from './resolveConfigPath.js';
