# exercises: background jobs with &, wait for one and for all, kill of a sleeping job (status 128+15), sleep
# status: 0
# gnu: same
sleep 0.2
echo "slept"
(sleep 0.1; echo "first job" > job1.txt) &
(echo "second job" > job2.txt) &
wait
cat job1.txt job2.txt
sleep 30 &
pid=$!
kill "$pid"
wait "$pid"; echo "killed job: $?"
sh -c 'exit 3' & p3=$!
sh -c 'exit 5' & p5=$!
wait "$p5"; echo "second: $?"
wait "$p3"; echo "first: $?"
for i in 1 2 3; do (echo "job $i" > "out.$i") & done
wait
cat out.1 out.2 out.3
