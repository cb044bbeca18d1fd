# exercises: * globbing in the work directory and below, sorted expansion
# status: 0
# gnu: same
echo *.log
echo *.csv *.conf
echo project/*
echo project/*/*.py
echo project/src/*.[ch] project/include/*.[ch]
for f in project/*.md project/docs/*.md; do
    echo "md: $f"
done
set -- *
echo "$# entries at the top"
