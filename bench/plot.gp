# gnuplot -e "datafile='sweep.dat'; outfile='x.png'" bench/plot.gp
set terminal pngcairo size 900,560 font ",11"
set output outfile
set title "Reader-thread CPU per read vs monitored processes (collectd 5.12, Interval 0.2 s)"
set xlabel "monitored processes (one group)"
set ylabel "CPU per read (µs, schedstat)"
set logscale xy
set grid xtics ytics mxtics mytics
set key top left
set xrange [5:2000]
set format y "%g"
plot datafile using 1:2 with linespoints lw 2 pt 7 title "processes (stock)", \
     datafile using 1:3 with linespoints lw 2 pt 5 title "taskstats (ours)", \
     datafile using 1:4 with linespoints lw 2 pt 9 dt 2 title "floor (same kernel requests, no bookkeeping)"
