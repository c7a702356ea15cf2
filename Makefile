# The README's commands. Each creates .venv and installs what it needs.
.PHONY: run dev test
run:
	python3 scripts/dev.py run
dev:
	python3 scripts/dev.py dev
test:
	python3 scripts/dev.py test
