// Generated files are written as `npm run format` would leave them, so `npm run lint` passes at once.
import { format, resolveConfig } from 'prettier';

export async function formatted(file: string, text: string): Promise<string> {
  return format(text, { ...(await resolveConfig(file)), filepath: file });
}
