# bash completion for observe(1)                  -*- shell-script -*-
# SPDX-License-Identifier: MIT
# Installed by `make install` as share/bash-completion/completions/observe.

_observe()
{
	local cur prev words cword i
	_init_completion || return

	# after "--" comes the command to launch, with its own arguments
	for ((i = 1; i < cword; i++)); do
		if [[ ${words[i]} == -- ]]; then
			_command_offset $((i + 1))
			return
		fi
	done

	case $prev in
	-p | --pid)
		_pids
		return ;;
	-o | --output | --folded | --diagnose | --trace | --html | report)
		_filedir
		return ;;
	--cgroup)
		_filedir -d
		return ;;
	-d | --duration | -i | --interval | --threshold-ms | --budget | \
	--workers | --blocking | --top | --prometheus)
		return ;;	# a number or a glob: nothing to offer
	esac

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W '--pid --all --cgroup --top --prometheus
			--duration --interval --json
			--output --workers --blocking --threshold-ms --no-runtime
			--folded --no-ustacks --budget --diagnose --verbose
			--trace --html --keep-root --help --usage --version' \
			-- "$cur"))
	elif ((cword == 1)); then
		COMPREPLY=($(compgen -W 'report' -- "$cur"))
	fi
} &&
	complete -F _observe observe
