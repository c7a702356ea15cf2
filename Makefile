# The README's two commands. Both create .venv and install what they need.
.PHONY: run test
run:
	python3 scripts/dev.py run
test:
	python3 scripts/dev.py test
