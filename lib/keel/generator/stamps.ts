// A new migration's stamp, as both generators give it.
import fs from 'node:fs';
import path from 'node:path';

const stampOf = (time: Date): string => time.toISOString().replace(/\D/g, '').slice(0, 14);

/**
 * The migration's stamp: now, or a second after the latest migration's when that is not earlier, so that it
 * runs after every table it may refer to or change, however fast one is generated after another.
 */
export function migrationStamp(root: string, now: Date): string {
  const latest = fs
    .readdirSync(path.join(root, 'db', 'migrations'))
    .map((name) => /^(\d{14})-/.exec(name)?.[1])
    .filter((stamp) => stamp !== undefined)
    .sort()
    .at(-1);
  if (latest === undefined || latest < stampOf(now)) return stampOf(now);
  const [, date = '', hours, minutes, seconds] = /^(\d{8})(\d\d)(\d\d)(\d\d)$/.exec(latest) ?? [];
  const time = new Date(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6)}T${hours}:${minutes}:${seconds}Z`);
  return stampOf(new Date(time.getTime() + 1000));
}
