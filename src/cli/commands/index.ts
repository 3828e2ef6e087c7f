// The command table. Each command is a module of its own in this folder.
import type { Command } from '../command.ts';
import { versionCommand } from './version.ts';
import { buildCommand } from './build.ts';

export const commands: Command[] = [versionCommand, buildCommand];
