import { readFileSync } from 'node:fs';

export interface OsUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** Look a system user up in /etc/passwd (Debian packages create `postgres` there). */
export function findOsUser(name: string): OsUser | undefined {
  let passwd: string;
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of passwd.split('\n')) {
    const [user, , uid, gid, , home] = line.split(':');
    if (user === name && uid && gid && home) {
      return { name, uid: Number(uid), gid: Number(gid), home };
    }
  }
  return undefined;
}

export const isRoot = (): boolean => process.getuid?.() === 0;
