// Every demo task, in a stable order.
import { builtinTasks } from './builtins.js';
import { checkTasks } from './checks.js';
import { expressionTasks } from './expressions.js';
import { lexerTasks } from './lexer.js';
import { operatorTasks } from './operators.js';
import { statementTasks } from './statements.js';
import type { TaskSpec } from './types.js';

export const TASKS: TaskSpec[] = [...lexerTasks, ...operatorTasks, ...builtinTasks, ...statementTasks, ...expressionTasks, ...checkTasks];
export type { Edit, TaskSpec, TestSpec } from './types.js';
