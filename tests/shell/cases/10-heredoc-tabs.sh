# exercises: <<- strips leading tabs from the body and the delimiter
# status: 0
# gnu: same
if true; then
	cat <<-EOF
		indented with tabs
	  tab then spaces stay
	    
	EOF
fi
cat <<EOF
	tabs kept without the dash
EOF
