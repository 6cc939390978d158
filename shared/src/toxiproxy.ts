import { serviceDefaults } from './config.ts';

export type ToxicType =
  | 'latency'
  | 'bandwidth'
  | 'slow_close'
  | 'timeout'
  | 'reset_peer'
  | 'slicer'
  | 'limit_data';

export interface Toxic {
  name: string;
  type: ToxicType;
  /** downstream = server → client (responses); upstream = client → server. */
  stream?: 'upstream' | 'downstream';
  toxicity?: number;
  attributes: Record<string, number>;
}

export interface ProxyHandle {
  name: string;
  /** host:port that clients connect to instead of the real service. */
  listen: string;
  addToxic: (toxic: Toxic) => Promise<void>;
  removeToxic: (name: string) => Promise<void>;
  /** Disabled = connections refused and existing ones cut, like a dead host. */
  setEnabled: (enabled: boolean) => Promise<void>;
  delete: () => Promise<void>;
}

/**
 * Minimal client for toxiproxy's HTTP API (the few calls break scripts need):
 * put a real TCP proxy between a service and its dependency, then add real faults.
 */
export function createToxiproxy(
  apiUrl: string = process.env.TOXIPROXY_URL ?? serviceDefaults.TOXIPROXY_URL,
) {
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${apiUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok && !(method === 'DELETE' && res.status === 404)) {
      throw new Error(`toxiproxy ${method} ${path} answered ${res.status}: ${text.trim()}`);
    }
    return text ? JSON.parse(text) : undefined;
  };

  return {
    /** Create (or recreate, dropping old toxics) a proxy from `listen` to `upstream`. */
    async createProxy({
      name,
      listen,
      upstream,
    }: {
      name: string;
      listen: string;
      upstream: string;
    }): Promise<ProxyHandle> {
      await call('DELETE', `/proxies/${name}`);
      await call('POST', '/proxies', { name, listen, upstream, enabled: true });
      return {
        name,
        listen,
        addToxic: async (toxic) => {
          await call('POST', `/proxies/${name}/toxics`, {
            stream: 'downstream',
            toxicity: 1,
            ...toxic,
          });
        },
        removeToxic: async (toxicName) => {
          await call('DELETE', `/proxies/${name}/toxics/${toxicName}`);
        },
        setEnabled: async (enabled) => {
          await call('POST', `/proxies/${name}`, { enabled });
        },
        delete: async () => {
          await call('DELETE', `/proxies/${name}`);
        },
      };
    },
    async version(): Promise<string> {
      const res = await fetch(`${apiUrl}/version`);
      return res.text();
    },
  };
}

/** Same URL with host:port swapped, e.g. to send a pg connection string through a proxy. */
export function viaProxy(url: string, listen: string): string {
  const parsed = new URL(url);
  parsed.host = listen;
  return parsed.toString();
}
