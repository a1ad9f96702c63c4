/** A bash completion script for the subcommands (app commands included) and their options. */
import type { Command as Program } from 'commander'

function longFlags(command: Program): string[] {
  return command.options.flatMap((option) => [option.short, option.long].filter((f): f is string => !!f))
}

/** Names are inlined into the script, so it completes the commands of the app it was generated with. */
export function completionScript(program: Program): string {
  const commands = program.commands.map((command) => command.name())
  const global = [...longFlags(program), '--help']
  const cases = program.commands
    .map((command) => `    ${command.name()}) words="${[...longFlags(command), '--help'].join(' ')}" ;;`)
    .join('\n')
  return `# bash completion for faustus. Load it with: eval "$(faustus -A <module> completion)"
_faustus_completion() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" command="" words="" i
  case "$prev" in
    -A|--app) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    -l|--loglevel) COMPREPLY=($(compgen -W "fatal error warn info debug trace silent" -- "$cur")); return ;;
    --broker|--web-port|--web-host) return ;;
    --log-format) COMPREPLY=($(compgen -W "auto json pretty" -- "$cur")); return ;;
  esac
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      -A|--app|-l|--loglevel|--broker|--log-format|--web-port|--web-host) ((i++)) ;;
      -*) ;;
      *) command="\${COMP_WORDS[i]}"; break ;;
    esac
  done
  if [[ -z "$command" ]]; then
    if [[ "$cur" == -* ]]; then words="${global.join(' ')}"; else words="${commands.join(' ')}"; fi
  elif [[ "$cur" == -* ]]; then
    case "$command" in
${cases}
    esac
  fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _faustus_completion faustus
`
}
