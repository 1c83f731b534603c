# SPDX-License-Identifier: BSD-3-Clause
#
# Plots of devtools/bench-compare.sh, from the files it writes in its --out
# directory:  gnuplot -e "dir='/tmp/bench-compare.X'" devtools/bench-plot.gp
#
#   throughput.svg  Mpps received vs frame size, one line per transport
#                   (solid: best launch; dashed: median of the launches)
#   latency.svg     ping-pong RTT: percentiles per transport (bars) and the
#                   distribution of the median launch (CDF); none without
#                   latency figures

if (!exists("dir")) dir = "."
set terminal svg size 960,600 dynamic font "sans,12" background "white"
set encoding utf8
set grid
set key outside right top

ts = system("cat '".dir."/plot-transports.txt'")
set output dir."/throughput.svg"
set title "Throughput, one queue, burst 32, tx and rx on their own cores\n(solid: best launch; dashed: median of the launches)"
set xlabel "frame size (bytes, no FCS)"
set ylabel "Mpps received (log scale)"
set logscale x 2
set logscale y 10
set xtics (64, 128, 256, 512, 1024, 1500, 9000)
set format y "%g"
plot for [i=1:words(ts)] dir."/throughput.dat" using 1:(column(2*i+1)) \
        with linespoints lw 2 pt 7 ps 0.8 lc i title word(ts, i), \
     for [i=1:words(ts)] dir."/throughput.dat" using 1:(column(2*i)) \
        with linespoints lw 1 dt 2 pt 6 ps 0.8 lc i notitle
unset logscale
unset xtics
set xtics

ls = system("cat '".dir."/plot-latency.txt'")
# no latency figures (--latency none): no latency plot
if (words(ls) == 0) exit
set output dir."/latency.svg"
set multiplot layout 1,2 title "Ping-pong round-trip time, 64-byte frames, one packet per round (median of launches)"
set title "percentiles"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set logscale y 10
set ylabel "RTT (us, log scale)"
set xlabel ""
set xtics norotate scale 0 font ",10"
set bmargin 4
set key top left inside
plot dir."/latency.dat" using 3:xtic(1) title "p50", \
     "" using 4 title "p90", \
     "" using 5 title "p99", \
     "" using 6 title "p99.9"
unset logscale
set style data lines
set title "distribution (CDF)"
set logscale x 10
set xlabel "RTT (us, log scale)"
set ylabel "fraction of round trips <= x"
set yrange [0:1]
set xtics font ""
set key bottom right inside
plot for [i=1:words(ls)] dir."/cdf-".word(ls, i).".dat" using 1:2 \
        with steps lw 2 title word(ls, i)
unset multiplot
