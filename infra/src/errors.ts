/** Bad command line: the CLI exits 2 for these, 1 for everything else. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly retriable = false;
}
export const isUsageError = (e: unknown): e is UsageError => e instanceof UsageError;

/** A binary `up` needs is missing; the message names the install command. */
export class NotInstalledError extends Error {
  override readonly name = 'NotInstalledError';
  readonly retriable = false;
  constructor(readonly service: string) {
    super(`${service} is not installed: run 'pnpm services install ${service}'`);
  }
}
export const isNotInstalledError = (e: unknown): e is NotInstalledError =>
  e instanceof NotInstalledError;

/** A service did not become healthy (exited, port taken, or deadline passed). */
export class ServiceStartError extends Error {
  override readonly name = 'ServiceStartError';
  readonly retriable: boolean;
  constructor(message: string, options: { cause?: unknown; retriable?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.retriable = options.retriable ?? false;
  }
}
export const isServiceStartError = (e: unknown): e is ServiceStartError =>
  e instanceof ServiceStartError;

/** A package manager or build tool failed while installing a service. */
export class InstallError extends Error {
  override readonly name = 'InstallError';
  readonly retriable = true;
}
export const isInstallError = (e: unknown): e is InstallError => e instanceof InstallError;
