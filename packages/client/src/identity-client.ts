import type { Result } from './result.js';
import type { RequestSpec } from './transport.js';
import type {
  ChangePasswordInput,
  DeviceCredentials,
  LoginInput,
  PrincipalToken,
  SignUpInput,
  SignUpResult,
} from './types.js';

/** Sends one request under the app's prefix (given by AppClient). */
export type Send = <T>(spec: RequestSpec) => Promise<Result<T>>;

/**
 * Identity routes of one app: per-app logins with a profile workspace, principal tokens. Sign-up,
 * devices, login and password change need no token; refresh and deactivate use the client's.
 * Every credential failure is the same 401 `login or password is incorrect` (429 when throttled).
 */
export class IdentityClient {
  constructor(private readonly send: Send) {}

  /** 201 once the login and its profile workspace both exist; 409 when the login is taken. */
  signUp(input: SignUpInput): Promise<Result<SignUpResult>> {
    return this.send({ method: 'POST', path: '/users', body: input });
  }

  /** A device login with a generated password (shown once). */
  createDevice(input: { displayName?: string } = {}): Promise<Result<DeviceCredentials>> {
    return this.send({ method: 'POST', path: '/devices', body: input });
  }

  /** A principal token: use it with `client.withToken(value.principalToken)`. */
  login(input: LoginInput): Promise<Result<PrincipalToken>> {
    return this.send({ method: 'POST', path: '/auth/login', body: input });
  }

  /** A new token with the same lifetime as the client's current one. */
  refresh(): Promise<Result<PrincipalToken>> {
    return this.send({ method: 'POST', path: '/auth/refresh' });
  }

  /** The old password is the credential; existing tokens stay valid until they expire. */
  changePassword(input: ChangePasswordInput): Promise<Result<void>> {
    return this.send({ method: 'POST', path: '/users/change-password', body: input, expect: 'empty' });
  }

  /** Deactivates the caller's login (or `login`, for sys.System); its tokens stop working at once. */
  deactivateLogin(login?: string): Promise<Result<void>> {
    const body = login === undefined ? {} : { login };
    return this.send({ method: 'POST', path: '/users/deactivate', body, expect: 'empty' });
  }
}
