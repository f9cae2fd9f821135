# gnuplot -e "datafile='sweep.dat'; outfile='x.png'; subtitle='...'" bench/plot.gp
# sweep.dat: members processes_us taskstats_us floor_us
if (!exists("subtitle")) subtitle = ""
set terminal pngcairo size 900,600 font ",11"
set output outfile
set title "Reader-thread CPU per read vs monitored processes\n{/*0.8 collectd 5.12, Interval 0.2 s, ReadThreads 1; ".subtitle."}"
set xlabel "monitored processes (one group of idle processes)"
set ylabel "CPU per read (µs, schedstat of reader#*)"
set logscale xy
set grid xtics ytics mxtics mytics
set key bottom right box opaque
set xrange [5:2000]
set yrange [50:200000]
set format y "%g"
plot datafile using 1:2 with linespoints lw 2 pt 7 title "processes (stock)", \
     datafile using 1:3 with linespoints lw 2 pt 5 title "taskstats (ours)", \
     datafile using 1:4 with linespoints lw 2 pt 9 dt 2 title "floor: same kernel requests + parsing, no bookkeeping"
