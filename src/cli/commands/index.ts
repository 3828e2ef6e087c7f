// The command table. Each command is a module of its own in this folder.
import type { Command } from '../command.ts';
import { versionCommand } from './version.ts';
import { buildCommand } from './build.ts';
import { copyCommand } from './copy.ts';
import { digestCommand } from './digest.ts';
import { manifestCommand } from './manifest.ts';
import { configCommand } from './config.ts';
import { loginCommand } from './login.ts';
import { logoutCommand } from './logout.ts';
import { warmCommand } from './warm.ts';
import { cacheCommand } from './cache.ts';
import { buildkiteCommand } from './buildkite.ts';
import { authCommand } from './auth.ts';
import { indexCommand } from './image-index.ts';

export const commands: Command[] = [versionCommand, buildCommand, copyCommand, digestCommand, manifestCommand, configCommand, loginCommand, logoutCommand, warmCommand, cacheCommand, buildkiteCommand, authCommand, indexCommand];
