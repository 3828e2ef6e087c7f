// The syntax tree of a Dockerfile: what was written, split the way BuildKit splits each
// instruction, with a position on every node. Meaning (flags, validation) comes later.

/** 1-based line and column in the Dockerfile. */
export interface Position {
  line: number;
  column: number;
}

export type DirectiveName = 'syntax' | 'escape' | 'check';

export interface Directive {
  name: DirectiveName;
  value: string;
  position: Position;
}

export interface HeredocNode {
  /** The delimiter word with its quotes removed, e.g. EOF. */
  name: string;
  /** The body exactly as written, each line with its newline; for `<<-` tabs are not yet removed. */
  content: string;
  /** False when any part of the delimiter was quoted: the body is then taken literally. */
  expand: boolean;
  /** `<<-`: leading tabs are stripped from the body and the terminator. */
  chomp: boolean;
  /** The file descriptor written before `<<` (`3<<EOF`), 0 when none. */
  fd: number;
  /** Where the body starts. */
  position: Position;
}

/** One KEY=VALUE (or legacy `KEY VALUE`) word of ENV or LABEL, quotes still in place. */
export interface KeyValueNode {
  key: string;
  value: string;
  /** True for the legacy space-separated form. */
  legacy: boolean;
}

export interface InstructionNode {
  /** The keyword as written (RUN, run, Run…). */
  keyword: string;
  /** The keyword lower-cased, used for dispatch. */
  command: string;
  /** Builder flags before the arguments, as written without the leading dashes' quoting: `--from=build`. */
  flags: string[];
  /** Arguments split by the instruction's rule: JSON items, whitespace words, or one string. */
  args: string[];
  /** True when the arguments were a JSON string array (exec form). */
  json: boolean;
  /** ENV and LABEL pairs. */
  pairs?: KeyValueNode[];
  /** The instruction ONBUILD registers. */
  trigger?: InstructionNode;
  heredocs: HeredocNode[];
  /** The logical line: continuations joined, comment lines inside them dropped. */
  original: string;
  /** How many characters of `original` come from the instruction's first physical line. */
  headLength: number;
  /** The text after the keyword and flags, before splitting. */
  rest: string;
  position: Position;
  endLine: number;
  /** Comment lines directly above the instruction. */
  comments: string[];
}

export interface ParseWarning {
  position: Position;
  message: string;
}

export interface DockerfileAst {
  file: string;
  directives: Directive[];
  escapeToken: string;
  instructions: InstructionNode[];
  warnings: ParseWarning[];
}
