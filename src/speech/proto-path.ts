import { packageFile } from '../core/index.js';

/** The contract's path inside the package; proto/ ships next to package.json, not in dist/. */
export const SPEECH_PROTO_RELATIVE = 'proto/zvonar/speech/v1/speech.proto';

/** Absolute path of speech.proto. Throws ConfigError('CONFIG_NOT_FOUND') when it is missing. */
export function speechProtoPath(): string {
  return packageFile(SPEECH_PROTO_RELATIVE, 'the package must ship proto/ next to package.json');
}

/** Absolute path of a vendor's protocol subset under proto/vendor/ (e.g. "yandex/speechkit/stt/v3/stt.proto"). */
export function vendorProtoPath(relative: string): string {
  return packageFile(`proto/vendor/${relative}`, 'the package must ship proto/ next to package.json');
}
