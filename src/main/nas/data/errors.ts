/**
 * A problem with a dataset file, phrased for the person who picked the file:
 * `<file>: <problem>. <what to do>`.
 */
export class DatasetFileError extends Error {
  readonly file: string;
  readonly problem: string;
  readonly advice: string;

  constructor(file: string, problem: string, advice: string) {
    super(`${file}: ${problem}. ${advice}`);
    this.name = 'DatasetFileError';
    this.file = file;
    this.problem = problem;
    this.advice = advice;
  }
}
