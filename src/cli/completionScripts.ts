/**
 * The shells' completion scripts: each asks `fleetbot __complete <words>` for the candidates, so the
 * command table, the roles and the agents are read in one place (src/cli/completion.ts).
 */
export const completionScripts = {
  bash: `# fleetbot completion for bash: source <(fleetbot completion bash)
_fleetbot() {
  local IFS=$'\\n'
  COMPREPLY=($(fleetbot __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
}
complete -o default -F _fleetbot fleetbot
`,
  zsh: `#compdef fleetbot
# fleetbot completion for zsh: source <(fleetbot completion zsh), after compinit
_fleetbot() {
  local -a candidates
  candidates=("\${(@f)$(fleetbot __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  compadd -a candidates
}
compdef _fleetbot fleetbot
`,
  fish: `# fleetbot completion for fish: fleetbot completion fish | source
complete -c fleetbot -f -a '(fleetbot __complete (commandline -opc)[2..-1] (commandline -ct))'
`,
} as const;

export type Shell = keyof typeof completionScripts;
export const isShell = (word: string | undefined): word is Shell =>
  word !== undefined && Object.hasOwn(completionScripts, word);
